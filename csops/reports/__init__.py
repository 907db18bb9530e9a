"""Reports and listings: functions of (records, policy, now) that return rows for render."""
