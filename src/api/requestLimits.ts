/**
 * What one API request may carry. A pipeline spec is a few kilobytes; 1 MiB leaves room for
 * a long query and a thousand columns while bounding what a caller can make us hold.
 */
export const maxRequestBodyBytes = 1024 * 1024;

/** Specs nest about six levels; 64 is far above any real body and far below a stack overflow. */
export const maxJsonDepth = 64;
