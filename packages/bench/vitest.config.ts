import { withControlPlane } from '../../vitest.shared.ts';

// The pure helpers, and the client-go reference against a real apiserver; the benchmarks
// themselves run with `npm run bench`.
export default withControlPlane;
