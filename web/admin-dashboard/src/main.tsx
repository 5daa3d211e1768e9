import { render } from 'preact';
import { App } from './app.tsx';
import { adoptTokensFromUrl } from './lib/auth.ts';

adoptTokensFromUrl();
const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
