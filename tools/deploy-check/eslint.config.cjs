module.exports = require('../eslint/eslint.base.cjs');
