"""Reports and listings: each takes a Session (the records, the policy and `now`, through one
read-only view of the repository; `log` also reads Git) and returns rows for csops.render."""
