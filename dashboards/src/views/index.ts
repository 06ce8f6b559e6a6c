/** Every view of the UI, in navigation order (a view file exports one `View`). */
import type { View } from '../view.ts';
import { leaderboard } from './leaderboard.ts';
import { runsView } from './runs.ts';
import { trendsView } from './trends.ts';

export const VIEWS: readonly View[] = [leaderboard, trendsView, runsView];
