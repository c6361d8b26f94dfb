-- Dev only: a role and a database per service (passwords match kustomization.yaml).
CREATE ROLE identity LOGIN PASSWORD 'identity-dev';
CREATE DATABASE identity OWNER identity;
CREATE ROLE notifications LOGIN PASSWORD 'notifications-dev';
CREATE DATABASE notifications OWNER notifications;
CREATE ROLE ordering LOGIN PASSWORD 'ordering-dev';
CREATE DATABASE ordering OWNER ordering;
CREATE ROLE billing LOGIN PASSWORD 'billing-dev';
CREATE DATABASE billing OWNER billing;
CREATE ROLE fleet LOGIN PASSWORD 'fleet-dev';
CREATE DATABASE fleet OWNER fleet;
CREATE ROLE assets LOGIN PASSWORD 'assets-dev';
CREATE DATABASE assets OWNER assets;
