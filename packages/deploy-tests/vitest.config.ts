import { withControlPlaneAndNode } from '../../vitest.shared.ts';

export default withControlPlaneAndNode;
