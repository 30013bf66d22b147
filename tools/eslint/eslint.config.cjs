module.exports = require('./eslint.base.cjs');
