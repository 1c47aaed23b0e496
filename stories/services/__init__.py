"""Writes and flows of the stories domain, one module per flow:

- stories: write a story for a hero (in the request), edit, delete, count a listen;
- narration: queue and make a story's narration;
- illustrations: queue, draw and place a story's pictures, delete one;
- custom_events: a family's own occasions;
- background: a story written by a worker (Prefer: respond-async);
- jobs: the GenerationJob lifecycle (claim, heartbeat, settle, sweep) the tasks run on.
"""
