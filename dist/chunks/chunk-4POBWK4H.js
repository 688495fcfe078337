import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);

// src/log/logger.ts
var LEVELS = ["debug", "info", "warn", "error"];
function sinkLogger(sink, tags = [], group = (_name, fn) => fn()) {
  return {
    debug: (m) => sink("debug", tags, m),
    info: (m) => sink("info", tags, m),
    warn: (m) => sink("warn", tags, m),
    error: (m) => sink("error", tags, m),
    group,
    child: (tag) => sinkLogger(sink, [...tags, tag], group)
  };
}
var silentLogger = sinkLogger(() => {
});
function seconds(ms) {
  return `${(ms / 1e3).toFixed(ms < 1e3 ? 2 : 1)} s`;
}
function phaseTimer() {
  const phases = {};
  return {
    phases,
    async phase(name, fn) {
      const t0 = Date.now();
      try {
        return await fn();
      } finally {
        phases[name] = (Date.now() - t0) / 1e3;
      }
    }
  };
}

export {
  LEVELS,
  sinkLogger,
  silentLogger,
  seconds,
  phaseTimer
};
