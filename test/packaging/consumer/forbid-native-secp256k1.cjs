// Loaded with `node --require ./forbid-native-secp256k1.cjs ...`: the optional dependency
// `secp256k1` (libsecp256k1's native addon) does not load, as on a platform without its
// prebuild or an install that left optional dependencies out. The hub must then run on WASM,
// inline and on its verifier threads (ADR 0416).
const Module = require('node:module');

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'secp256k1' || request.startsWith('secp256k1/')) {
    throw Object.assign(new Error(`Cannot find module '${request}' (forbidden by forbid-native-secp256k1.cjs)`), {
      code: 'MODULE_NOT_FOUND',
    });
  }
  return resolveFilename.call(this, request, ...rest);
};
