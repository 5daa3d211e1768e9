#!/usr/bin/env node
// merod: the compiled build when current, else the TypeScript sources through tsx (bin/launch.js).
import { launch } from './launch.js';
await launch('cli/merod');
