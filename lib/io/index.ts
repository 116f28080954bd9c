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
