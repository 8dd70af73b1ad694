// Ambient types for the renderer: Vite's client types and the Electron preload's global.
/// <reference types="vite/client" />

interface Window {
  /** exposed by the Electron preload (DesktopApi); absent in a browser */
  peerboard?: import('../electron/ipc-contract.js').DesktopApi;
}
