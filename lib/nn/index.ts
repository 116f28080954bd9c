// tk.nn: the Module base class and containers, parameter initialisation (tk.nn.init) and gradient
// clipping. Layers (Linear, Embedding, ...) build on Module; see lib/nn/module.ts for how to write
// one.
export { Module, Sequential, ModuleList, ModuleDict, Parameter } from './module';
export type { BufferOptions, ParameterOptions, LoadStateDictOptions, LoadStateDictResult } from './module';
export * as init from './init';
export { clipGradNorm, clipGradValue, getTotalNorm } from './utils';
export type { ClipGradNormOptions } from './utils';
export {
  Linear,
  Embedding,
  EmbeddingBag,
  LayerNorm,
  Dropout,
  ReLU,
  GELU,
  Tanh,
  Sigmoid,
  Softmax,
  LogSoftmax,
  Identity,
  Flatten,
} from './layers';
export type { LinearOptions, EmbeddingModuleOptions, EmbeddingBagOptions, LayerNormOptions } from './layers';
export * as functional from './functional';
export { MultiheadAttention, AttentionPooling } from './attention';
export {
  TransformerEncoderLayer,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerDecoder,
  SinusoidalPositionalEncoding,
  LearnedPositionalEmbedding,
} from './transformer';
export {
  LSTM,
  GRU,
  RNN,
  RNNBase,
  type RNNBaseOptions,
  type RNNOptions,
  type RNNForwardOptions,
  type RNNOutput,
} from './rnn';
