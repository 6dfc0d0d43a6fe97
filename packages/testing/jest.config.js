module.exports = require("./jest-preset-esm");
