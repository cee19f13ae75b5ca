import './no-webrtc';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from '../shared/ipc';
import { ApiProvider } from './api';
import { App } from './App';
import { AppStateProvider } from './state';
import './styles/app.css';

// Answers change only through this window's own calls or main's events (which invalidate them),
// so nothing refetches on focus or retries a failure the person has to see. A finished mutation
// holds what it sent (a form's values) and what came back: it goes once its screen does.
const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: false, refetchOnWindowFocus: false, staleTime: 30_000 },
    mutations: { retry: false, gcTime: 0 },
  },
});

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ApiProvider client={createClient(window.keyhold)}>
        <QueryClientProvider client={queryClient}>
          <AppStateProvider>
            <App />
          </AppStateProvider>
        </QueryClientProvider>
      </ApiProvider>
    </StrictMode>,
  );
}
