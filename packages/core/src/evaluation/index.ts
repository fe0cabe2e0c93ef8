export { classificationMetrics, type ClassificationMetrics } from './metrics.js';
export { evaluate, evaluateMultiScale, predictScores, type EvaluateOptions, type Scores } from './evaluate.js';
