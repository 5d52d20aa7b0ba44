"""The simulated site reads the Edge Config's flags as the real one does: the AI path fails
while OpenAI does, shows the notice once `ai_degraded` is on, and `maintenance` closes the site."""

from __future__ import annotations

import httpx

from bot.drill.scenarios import DRILLS
from bot.drill.sims.vercel import SimVercel
from bot.drill.world import AI_PATH, World


def test_the_ai_path_fails_with_openai_until_the_degraded_flag_is_on():
    with World() as world:
        DRILLS["openai"].build(world, "B", None)
        site = world.settings["AILEX_SITE_URL"]
        assert httpx.get(site + AI_PATH).status_code == 502
        edge = next(sim for sim in world.servers if isinstance(sim, SimVercel))
        edge.edge_items["ai_degraded"] = True
        answer = httpx.get(site + AI_PATH)
        assert answer.status_code == 200 and "AI" in answer.json()["notice"]
        edge.edge_items["maintenance"] = True
        assert httpx.get(site + "/").status_code == 503
        edge.edge_items.clear()
        assert world.heal() and not world.heal()  # the top-up, played once
        assert httpx.get(site + AI_PATH).status_code == 200
