module.exports = require('../../tools/jest/jest.preset.cjs')('sdk');
