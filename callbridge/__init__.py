"""callbridge: business calls, texts, faxes, voicemails and meetings, logged once in the CRM."""

__version__ = "0.1.0"
