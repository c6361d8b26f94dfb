"""The fleet service: a customer's mobile fleet (phone lines).

RPCs: FleetService.ListLines / GetLine (customers, `fleet.read`: search by a
number typed in any format, a SIM, a customer number or a user name) and
FleetAdminService.ImportLines (operators load the operator's inventory of a
customer's lines from a CSV file, all or nothing). It publishes and hears no
event yet."""
