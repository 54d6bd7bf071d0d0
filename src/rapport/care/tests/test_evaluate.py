"""Gold labels from care threads: answered by a brand means 'needs response'; outcome unknown is left out."""

import csv

from rapport.care.evaluate import evaluate, labelled, load_rows, metrics

HEADER = ["", "tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id", "in_response_to_tweet_id"]
ROWS = [
    ["0", "1", "acmecare", "False", "Tue Oct 31 22:10:47 +0000 2017", "@11 sorry, DM us", "", "2"],
    ["1", "2", "11", "True", "Tue Oct 31 22:00:00 +0000 2017", "@acmecare my router is broken, help?", "1", ""],
    ["2", "3", "12", "True", "Tue Oct 31 22:01:00 +0000 2017", "@acmecare thanks all good now", "", ""],
    ["3", "4", "13", "True", "Tue Oct 31 22:02:00 +0000 2017", "@acmecare where is my parcel?", "999", ""],
    ["4", "5", "14", "True", "Tue Oct 31 22:03:00 +0000 2017", "@friend see you later", "", ""],
    ["5", "6", "11", "True", "Tue Oct 31 22:20:00 +0000 2017", "@acmecare done, DM sent", "", "1"],
]


def test_labels_and_metrics(tmp_path):
    path = tmp_path / "twcs.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(ROWS)
    rows = load_rows(path)
    data = labelled(rows)
    # Unknown outcome (answer outside the sample) and tweets not addressed to a brand are left out.
    assert data == [
        ("@acmecare my router is broken, help?", True),
        ("@acmecare thanks all good now", False),
        ("@acmecare done, DM sent", False),
    ]
    assert [t for t, _ in labelled(rows, first_contacts=True)] == [
        "@acmecare my router is broken, help?",
        "@acmecare thanks all good now",
    ]
    assert metrics([True, False, True], [True, True, False]) == {
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "accuracy": 0.333,
    }
    result = evaluate(path, with_sentiment=False)
    assert result["all_addressed"]["examples"] == 3
    assert result["all_addressed"]["classifier"]["recall"] == 1.0
