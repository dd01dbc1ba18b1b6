"""CI mode: grading a student's repository in GitHub Actions or on Gradescope."""
