import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  NAME,
  PORT,
  configJsonSchema,
  configSchema,
  healthcheckSchema,
  imageSchema,
  machineSchema,
  networkSchema,
  serviceSchema
} from "./chunk-MOGVDQLA.js";
import "./chunk-67RI6UJH.js";
import "./chunk-VO2LAO67.js";
import "./chunk-GYJEAFSS.js";
export {
  NAME,
  PORT,
  configJsonSchema,
  configSchema,
  healthcheckSchema,
  imageSchema,
  machineSchema,
  networkSchema,
  serviceSchema
};
