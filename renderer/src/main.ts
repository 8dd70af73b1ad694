// Renderer entry: picks the API (desktop IPC, demo, or HTTP), then mounts the board.
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import { providePeerApi } from './api/api-context.js';
import { selectApi } from './api/select-api.js';
import App from './App.vue';
import './styles.css';

providePeerApi(selectApi(window));
createApp(App).use(createPinia()).mount('#app');
