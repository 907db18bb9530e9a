"""The verbs users run (route, callback, vendor, derive, amend, …): each turns its arguments
into the parameters of one workflow row and hands them to csops.actions."""
