import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  TAP_PREFIX,
  createTap,
  deleteTap,
  hostNameservers,
  releaseForwarding,
  requireNetAdmin,
  tapName,
  useForwarding
} from "./chunk-7KNXEYZV.js";
import "./chunk-KKVC5PX3.js";
import "./chunk-G3XLIV3Y.js";
import "./chunk-CRDCTHBJ.js";
import "./chunk-GYJEAFSS.js";
export {
  TAP_PREFIX,
  createTap,
  deleteTap,
  hostNameservers,
  releaseForwarding,
  requireNetAdmin,
  tapName,
  useForwarding
};
