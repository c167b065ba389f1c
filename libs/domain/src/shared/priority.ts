/** A call's priority. Its own module: SLA policies match on it and calls carry it, and neither imports the other. */
export const PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;
export type Priority = (typeof PRIORITIES)[number];
