import { ValidationError } from './domain-error';

// ISO 8601 durations in weeks, days, hours, minutes and seconds ("PT4H", "P2D", "P1W", "PT1.5H", "P1DT12H").
// Years and months are refused: their length depends on the calendar, and targets must mean one span.
const DURATION = /^P(?!$)(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?!$)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;
const UNIT_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000];

/** Milliseconds of an ISO 8601 duration, or undefined when the text is not one this product accepts. */
export function parseIsoDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim().toUpperCase());
  if (!match) return undefined;
  let ms = 0;
  match.slice(1).forEach((part, i) => {
    if (part !== undefined) ms += Number(part.replace(',', '.')) * UNIT_MS[i];
  });
  return Math.round(ms);
}

/** Validates an optional ISO 8601 duration; returns it normalised (upper case, trimmed). */
export function optionalIsoDuration(field: string, value: unknown): string | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  if (typeof value !== 'string' || parseIsoDuration(value) === undefined) {
    const calendar = typeof value === 'string' && /^P(\d+Y|\d+M)/i.test(value.trim());
    throw new ValidationError(
      field,
      calendar
        ? `${field} uses years or months, whose length varies; give it in weeks, days, hours, minutes or seconds (e.g. P30D)`
        : `${field} is not an ISO 8601 duration such as PT4H, P2D or P1DT12H`,
    );
  }
  return value.trim().toUpperCase();
}

/** Formats milliseconds as an ISO 8601 duration, e.g. 93_600_000 -> "P1DT2H". */
export function formatIsoDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms));
  const days = Math.floor(rest / 86_400_000);
  rest -= days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (!days && !time) return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
