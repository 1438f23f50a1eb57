/** A loss as the page lists it, with the direction that is better. */
export interface ReportSummaryLoss {
  name: string;
  better: 'lower' | 'higher';
}
