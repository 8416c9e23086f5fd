// How options are written: the string forms a typed option takes where it is written as one (a
// duration "5s", a size "4G", shared bytes "64K"), and Raw<T>, an options type as the command line
// and scenario files hand it over. Types only, below every module that reads options.

/** A duration as a string: a number and a unit, "500ms", "5s", "1.5m" (a plain number is seconds). */
export type DurationText = `${number}${'ns' | 'us' | 'µs' | 'ms' | 's' | 'm'}`;

type SizeUnit = 'K' | 'KB' | 'KiB' | 'M' | 'MB' | 'MiB' | 'G' | 'GB' | 'GiB' | 'T' | 'TB' | 'TiB';
/** A size in bytes with a binary unit, "512M", "4G", "1.5GiB" (parseSize() in options.ts). */
export type SizeText = `${number}${SizeUnit | Lowercase<SizeUnit>}`;

/** Shared bytes written with K (KiB): "64K", "200K" (src/registry/probe-state.ts). */
export type SharedBytesText = `${number}${'K' | 'KB' | 'KiB' | 'k' | 'kb' | 'kib'}`;

/**
 * An options type as the command line and scenario files hand it over: any field may also be the
 * string it was written as ("4", "gemm,probe", "high,low"). The validators take it and check every
 * field at run time; the public API (src/index.ts) takes the typed options and does not export this.
 */
export type Raw<T> = { [K in keyof T]?: T[K] | string };
