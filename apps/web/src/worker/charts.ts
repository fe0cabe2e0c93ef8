/**
 * The live training figures, drawn with @resnet/report's lineChart (SVG strings, so the page only
 * inserts them): loss per iteration, and training and test error in the paper's style (thin dashed
 * training error, its mean over each log interval, bold test error).
 */
import { lineChart, type DataPoint } from '@resnet/report';

export class Curves {
  readonly loss: DataPoint[] = [];
  readonly trainError: DataPoint[] = [];
  readonly testError: DataPoint[] = [];

  clear(): void {
    this.loss.length = 0;
    this.trainError.length = 0;
    this.testError.length = 0;
  }

  lossChart(): string {
    return lineChart({
      width: 520,
      height: 260,
      title: 'Training loss',
      xLabel: 'iteration',
      yLabel: 'cross-entropy',
      series: [{ name: 'loss (batch)', points: this.loss, color: '#2563eb', width: 1.5 }],
    });
  }

  errorChart(): string {
    return lineChart({
      width: 520,
      height: 260,
      title: 'Error',
      xLabel: 'iteration',
      yLabel: 'error (%)',
      yRange: [0, 100],
      // Beside the plot, not on it: an error curve can sit at any height (issue #15).
      legend: 'right',
      series: [
        { name: 'training error', points: this.trainError, dash: 'dashed', width: 1, color: '#dc2626' },
        { name: 'test error', points: this.testError, width: 2.5, color: '#dc2626', marker: 'circle' },
      ],
    });
  }
}
