// tk.io: reading and writing tensors (safetensors checkpoints).
export {
  saveSafetensors,
  loadSafetensors,
  serializeSafetensors,
  parseSafetensors,
  parseSafetensorsHeader,
  readSafetensorsHeader,
} from './safetensors';
export type { SafetensorsDType, SafetensorsEntry, SafetensorsHeader } from './safetensors';
export { saveCheckpoint, loadCheckpoint } from './checkpoint';
export type { CheckpointParts, JsonStateful } from './checkpoint';
