"""The load side: everything the separate load process uses to drive and observe."""
