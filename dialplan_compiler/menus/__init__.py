"""Menus (IVR) around the compiler: what runs once a script is lowered into
a bundle of plans (`lowering.py`, in the core). `bundles` compiles many
scripts at once and writes a bundle as JSON; `router` picks the plan for an
eventUrl request; `server` is `dialplan serve` (Starlette); `silence` makes
the silent WAVs a menu waits with; `engine` runs plans as Routee does (for
`simulate` and the Routee stand-in); `scenarios` is `dialplan test`;
`graph` draws a flow; `timing` times every simulated path and `preview`
renders one as audio (espeak-ng's voice standing in for Routee's)."""
