// tk.nn.functional: the stateless forms of the layers and the losses (torch.nn.functional).
export { linear } from '../ops/matmul';
export { relu, gelu, tanh, sigmoid, softplus, leakyRelu } from '../ops/elementwise';
export { softmax, logSoftmax, layerNorm, embedding, dropout } from '../ops/nn';
export {
  crossEntropy,
  nllLoss,
  mseLoss,
  binaryCrossEntropyWithLogits,
  l1Loss,
  smoothL1Loss,
  klDiv,
} from '../ops/losses';
export {
  scaledDotProductAttention,
  setAttentionProbsBudget,
  type ScaledDotProductAttentionOptions,
} from '../ops/attention';
