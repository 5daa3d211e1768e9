// Types of bin/launch.js (plain JavaScript, so that bin/ starts without tsx), for scripts/build-dist.ts.
export declare const DIST_STAMP: string;
export declare function sourcesFingerprint(): string;
export declare function launch(entry: string): Promise<void>;
