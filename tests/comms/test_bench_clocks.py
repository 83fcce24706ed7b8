from comms.models import Message
from devtools.management.commands.bench_clocks import Seeder, time_open_clocks


def test_the_seeder_grows_history_without_adding_open_clocks(studio):
    seeder = Seeder(studio)
    seeder.add(200, open_count=7)
    seeder.add(300, open_count=0)

    assert Message.objects.for_studio(studio).count() == 500
    assert Message.objects.for_studio(studio).filter(direction="in").count() == 250
    _median_ms, open_clocks = time_open_clocks(studio, runs=1)
    assert open_clocks == 7
    assert not Message.objects.filter(replied_at__isnull=False, needs_reply=False).exists()
