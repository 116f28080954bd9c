// textkernels resolves this package and loads textkernels.node beside it only where an NVIDIA
// driver is present (lib/native.ts); requiring the package itself just says where the addon is.
'use strict';
module.exports = { addon: require('path').join(__dirname, 'textkernels.node') };
