/** Every view of the UI, in navigation order (a view file exports one `View`). */
import type { View } from '../view.ts';
import { cost } from './cost.ts';
import { explorer } from './explorer.ts';
import { leaderboard } from './leaderboard.ts';

export const VIEWS: readonly View[] = [leaderboard, explorer, cost];
