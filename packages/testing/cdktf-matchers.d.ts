// Types of the cdktf Jest matchers that @pgforks/testing registers (toHaveResourceWithProperties, ...).
import "cdktf/lib/testing/adapters/jest";
