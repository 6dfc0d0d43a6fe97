// Types of cdktf's Jest matchers (installed at runtime by @pgforks/testing/jest-setup.js).
import "cdktf/lib/testing/adapters/jest";
