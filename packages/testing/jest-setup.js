// Adds cdktf's matchers (toHaveResource, toHaveResourceWithProperties, ...) to every test file.
require("cdktf").Testing.setupJest();
