module.exports = require("@pgforks/testing/jest-preset-esm");
