export {
  autoOrder,
  backendProviders,
  probeBackends,
  registerBackendProvider,
  useBackend,
  type BackendProvider,
  type BackendStatus,
} from './registry.js';
