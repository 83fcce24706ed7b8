from comms.tasks import poll_imap


def test_the_imap_sweep_with_no_mailbox_configured_does_nothing(db):
    assert poll_imap() == {"accounts": 0, "messages": 0, "failed": 0}
