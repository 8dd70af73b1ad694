// Renderer entry: picks the API (desktop IPC, demo, or HTTP), then mounts the board.
import './zod-jitless.js'; // first: before any module builds a zod schema
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import { providePeerApi } from './api/api-context.js';
import { selectApi } from './api/select-api.js';
import App from './App.vue';
import './styles.css';

const api = selectApi(window);
providePeerApi(api);
// demo mode only: lets a person (or the screenshot script) play with quorum, staleness and roles
if (api.kind === 'fake') Object.assign(window, { peerboardDemo: api });
createApp(App).use(createPinia()).mount('#app');
