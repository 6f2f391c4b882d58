import { withControlPlane } from '../../vitest.shared.ts';

export default withControlPlane;
