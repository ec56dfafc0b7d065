"""The four-stage training recipe: recipes, data, collator, losses, the stage runner.

``recipe`` reads and validates a stage's YAML; ``data`` mixes its sources; ``collator`` makes
batches with assistant-only labels; ``params`` freezes parts and builds per-part optimizer
groups; ``losses`` holds the DPO loss; ``trainer`` the loop; ``checkpoint`` what a stage
starts from and writes; ``stage.run_stage`` runs one stage. Importing the package imports none.
"""
