/**
 * The paper's two analyses over trained networks: the degradation problem (Fig. 4 and 6: curves and
 * final errors of plain nets and ResNets at several depths) and layer responses (Fig. 7: the std of
 * each 3×3 layer's output after BN). Functions of models and training histories; training, files and
 * figures' output stay with the caller (@resnet/report draws the figures).
 */
export { networkIdentity, type NetworkIdentity, type NetworkKind } from './labels.js';
export {
  compareDepths,
  degradationRuns,
  degradationSummary,
  trainingCurve,
  type DegradationRun,
  type DegradationSummaryRow,
  type DepthComparison,
  type ExperimentRun,
  type TrainingCurvePoint,
} from './degradation.js';
export {
  layerResponses,
  meanResponse,
  responseLayers,
  responseNetwork,
  responseTensors,
  sortedResponses,
  type LayerResponse,
  type LayerResponseOptions,
  type LayerResponses,
  type ResponseNetwork,
} from './responses.js';
