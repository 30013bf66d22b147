module.exports = require('../../tools/eslint/eslint.base.cjs');
