/** Simulated players: a seed replays the same joins and leaves. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Game, PlayerSimulation } from "../../src/demo/game.js";
import { GameLog } from "../../src/demo/game-log.js";
import { tempDir } from "./support.js";

const dir = tempDir("simulation");

function play(seed: number, turns: number, options: { accepting?: boolean } = {}) {
  const log = new GameLog("game-1", join(dir, `seed-${seed}.log`));
  const game = new Game({ server: "game-1", region: "demo", maxPlayers: 50, log });
  if (options.accepting === false) game.setAccepting(false);
  const players = new PlayerSimulation(game, seed);
  for (let i = 0; i < turns; i++) players.turn();
  return { online: [...game.sessions.values()].map((s) => s.player), total: game.sessionsTotal, refused: game.refusedTotal, close: () => log.close() };
}

describe("simulated players", () => {
  it("join and leave the same way for the same seed", async () => {
    const a = play(42, 200);
    const b = play(42, 200);
    const c = play(7, 200);
    expect(a.online).toEqual(b.online);
    expect(a.total).toBe(b.total);
    expect(a.total).toBeGreaterThan(0);
    expect(c.online).not.toEqual(a.online);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it("are refused while the server does not accept sessions", async () => {
    const closed = play(42, 50, { accepting: false });
    expect(closed.online).toEqual([]);
    expect(closed.total).toBe(0);
    expect(closed.refused).toBeGreaterThan(0);
    await closed.close();
  });
});
